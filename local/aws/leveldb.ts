/**
 * What this project relies on about LevelDB (dynalite's store and the simulated provider's
 * outcome index): it memory-maps every table file it keeps open, so the number of open files
 * bounds that part of a process's memory (docs/performance.md, "Memory of a local run").
 */

/** The fewest open files LevelDB accepts (it raises anything lower): 64 tables and 10 others. */
export const LEVELDB_FEWEST_OPEN_FILES = 74;
