/** @hashlayers/lss (scaffold: implementation in progress). */
export {};
