/** A stage's configuration: the settings schema, where settings come from, and validation. */
export * from './load';
export * from './settings';
export * from './validate';
