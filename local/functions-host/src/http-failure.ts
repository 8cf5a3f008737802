// What a client sees when an HTTP-triggered function fails (the handler throws, a hook throws, or an
// output binding cannot be applied).
//
// Source: Azure/azure-functions-host. FunctionInvocationMiddleware awaits the invocation, a failed one
// surfaces as a FunctionInvocationException, and ExceptionMiddleware
// (src/WebJobs.Script.WebHost/Middleware/ExceptionMiddleware.cs) catches it, sets the status to 500
// and writes nothing: the client gets an empty 500 and the details go only to the host's log
// (Application Insights in Azure). A client or test that reads a 500's body therefore works locally
// and breaks in Azure, so the local host answers the same empty 500 unless asked for details.

export interface FailureResponse {
  readonly status: 500;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The environment variable that turns on error details (`--error-details` on the CLI does the same). */
export const ERROR_DETAILS_ENV = 'FUNCTIONS_HOST_ERROR_DETAILS';

/**
 * Azure's empty 500 by default. With `errorDetails` (a local debugging aid, never Azure's behaviour)
 * the body names the invocation and the error, so the matching host log line is found at once.
 */
export function failureResponse(
  invocationId: string,
  cause: unknown,
  errorDetails: boolean,
): FailureResponse {
  if (!errorDetails) return { status: 500, headers: {}, body: '' };
  return {
    status: 500,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-invocation-id': invocationId },
    body: JSON.stringify({
      error: 'InternalServerError',
      message: cause instanceof Error ? cause.message : String(cause),
      invocationId,
      note: `local debugging detail (${ERROR_DETAILS_ENV}=1 or --error-details); Azure answers an empty 500`,
    }),
  };
}

/** `1`, `true`, `yes` or `on` (any case) turns error details on; anything else leaves them off. */
export function errorDetailsFromEnv(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}
