/** A tool could not do what the model asked; the message goes back to the model as the tool's result. */
export class ToolError extends Error {}
