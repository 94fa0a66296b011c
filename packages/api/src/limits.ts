/**
 * Message size limits of the FleetControl API, one place for server and clients. The CLI refuses
 * a request over the server's limit itself, before uploading megabytes the server would only
 * refuse (RESOURCE_EXHAUSTED either way; the connection stays usable in both cases).
 */
export const API_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** Replies can be long (a plan for a large fleet, many nodes); rows are capped besides. */
export const API_MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** grpc-js channel options of an API client. */
export const apiClientOptions = { "grpc.max_send_message_length": API_MAX_REQUEST_BYTES, "grpc.max_receive_message_length": API_MAX_REPLY_BYTES } as const;
