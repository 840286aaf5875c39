declare module "cytoscape-svg";
