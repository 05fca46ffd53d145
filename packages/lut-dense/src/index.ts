/** @hashlayers/lut-dense (scaffold: implementation in progress). */
export {};
