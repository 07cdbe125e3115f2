/**
 * What authorised a request: a server credential (the write key, a signed
 * webhook, opentime's own open pixel) or the public browser key, which
 * anyone can read in a shop's pages and so may do only what a stranger may.
 */
export type Credential = 'server' | 'browser';
