using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace Permanence.Functions;

/// <summary>
/// An exception escaping an HTTP function becomes the same RFC 9457 problem the Standalone host answers (its
/// exception handler writes through the same <see cref="IProblemDetailsService"/>), instead of the Functions host's
/// bare 500. Other triggers rethrow: the host retries them or dead-letters the message.
/// </summary>
public sealed class ProblemDetailsMiddleware(IProblemDetailsService problems, ILogger<ProblemDetailsMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (context.GetHttpContext() is { Response.HasStarted: false } http)
        {
            logger.LogError(e, "Function {FunctionName} failed", context.FunctionDefinition.Name);
            http.Response.Clear();
            http.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                Exception = e,
                ProblemDetails = new ProblemDetails { Status = StatusCodes.Status500InternalServerError },
            });
        }
    }
}
