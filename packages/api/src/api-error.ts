import { clip } from "@binfleet/shared/program";
import * as grpc from "@grpc/grpc-js";

export type ApiErrorKind = "unauthenticated" | "permission-denied" | "not-found" | "invalid-argument" | "failed-precondition" | "resource-exhausted";

/**
 * An error the API reports to its caller as is (everything else becomes a generic INTERNAL).
 * Its message is clipped: a request field it quotes must not make a megabyte reply.
 */
export class ApiError extends Error {
  override readonly name: string = "ApiError";
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(clip(message, MAX_MESSAGE), options);
  }
}

/** Longest error message sent to a caller. */
const MAX_MESSAGE = 1024;

const CODES: Record<ApiErrorKind, grpc.status> = {
  unauthenticated: grpc.status.UNAUTHENTICATED,
  "permission-denied": grpc.status.PERMISSION_DENIED,
  "not-found": grpc.status.NOT_FOUND,
  "invalid-argument": grpc.status.INVALID_ARGUMENT,
  "failed-precondition": grpc.status.FAILED_PRECONDITION,
  "resource-exhausted": grpc.status.RESOURCE_EXHAUSTED,
};

/** The gRPC status code of an API error kind. */
export const grpcCode = (kind: ApiErrorKind): grpc.status => CODES[kind];

/**
 * The one mapping from errors to gRPC statuses: ApiErrors keep their kind and message, anything
 * else is logged with its details (`method` says where) and becomes INTERNAL with a generic message.
 */
export function toGrpcStatus(log: { error(obj: object, msg: string): void }): (err: unknown, method?: string) => grpc.ServerErrorResponse {
  return (err, method) => {
    if (err instanceof ApiError) return { name: err.name, message: err.message, code: CODES[err.kind] };
    log.error({ err, method }, "api call failed");
    return { name: "Error", message: "internal error (see the coordinator's log)", code: grpc.status.INTERNAL };
  };
}
