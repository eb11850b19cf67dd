using Microsoft.AspNetCore.Http;
using Permanence.Core.Common;

namespace Permanence.Http;

/// <summary>RFC 9457 problem responses (application/problem+json), with an "errors" map for field problems.</summary>
public static class Problems
{
    public static IResult Unauthorized() => Results.Problem(
        title: "Unauthorized",
        detail: "Send 'Authorization: Bearer <api key>'.",
        statusCode: StatusCodes.Status401Unauthorized);

    public static IResult Forbidden(string detail = "This API key may not use this route or this client.") =>
        Results.Problem(title: "Forbidden", detail: detail, statusCode: StatusCodes.Status403Forbidden);

    public static IResult NotFound(string detail) =>
        Results.Problem(title: "Not Found", detail: detail, statusCode: StatusCodes.Status404NotFound);

    public static IResult Conflict(string detail) =>
        Results.Problem(title: "Conflict", detail: detail, statusCode: StatusCodes.Status409Conflict);

    public static IResult TooManyRequests(string detail) =>
        Results.Problem(title: "Too Many Requests", detail: detail, statusCode: StatusCodes.Status429TooManyRequests);

    public static IResult PayloadTooLarge() => Results.Problem(
        title: "Payload Too Large",
        detail: $"Bodies are limited to {HttpIo.MaxBodyBytes / 1024} KiB.",
        statusCode: StatusCodes.Status413PayloadTooLarge);

    public static IResult UnsupportedMediaType(string expected) => Results.Problem(
        title: "Unsupported Media Type",
        detail: $"Send the body as {expected}.",
        statusCode: StatusCodes.Status415UnsupportedMediaType);

    public static IResult BadRequest(string detail, string field, string message) => Results.ValidationProblem(
        new Dictionary<string, string[]> { [field] = [message] },
        detail: detail,
        title: "Bad Request",
        statusCode: StatusCodes.Status400BadRequest);

    public static IResult BadRequestFields(string detail, ValidationErrors errors) =>
        Results.ValidationProblem(errors.ToDictionary(), detail: detail, title: "Bad Request", statusCode: StatusCodes.Status400BadRequest);

    public static IResult Unprocessable(ValidationErrors errors, string detail = "The request has invalid fields; every problem is listed.") =>
        Results.ValidationProblem(errors.ToDictionary(), detail: detail, title: "Unprocessable Content", statusCode: StatusCodes.Status422UnprocessableEntity);

    public static IResult ServiceUnavailable(string detail) =>
        Results.Problem(title: "Service Unavailable", detail: detail, statusCode: StatusCodes.Status503ServiceUnavailable);
}
