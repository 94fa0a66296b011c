/**
 * A node id (and a builder name) is part of a bus user, a NATS subject and an inbox, so it is a
 * subject token: letters, digits, `-` and `_` only.
 */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
