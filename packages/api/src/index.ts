// Public surface of @binfleet/api: FleetControl on the wire, for its server and its clients.
export type { ApiToken, Caller, Role } from "./access.js";
export { ApiTokens } from "./access.js";
export type { ApiErrorKind } from "./api-error.js";
export { ApiError, grpcCode, toGrpcStatus } from "./api-error.js";
export type { CallContext, CallOptions, Client, ErrorMapper, Handlers } from "./grpc-bridge.js";
export { addService, createClient } from "./grpc-bridge.js";
export type { FleetControlClient, FleetControlCredentials } from "./client.js";
export { connectFleetControl } from "./client.js";
export { API_MAX_REPLY_BYTES, API_MAX_REQUEST_BYTES, apiClientOptions } from "./limits.js";
