import pkg from '../package.json' with { type: 'json' };

/** The version of Laurel core, checked against each plugin's `compatibility` range. */
export const CORE_VERSION: string = pkg.version;
