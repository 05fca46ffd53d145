/** @hashlayers/representer-sketch (scaffold: implementation in progress). */
export {};
