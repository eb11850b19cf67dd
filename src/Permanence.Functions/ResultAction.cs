using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Permanence.Functions;

/// <summary>Runs a shared handler's <see cref="IResult"/> as the function's IActionResult (ASP.NET Core integration).</summary>
public sealed class ResultAction(IResult result) : IActionResult
{
    public IResult Result { get; } = result;

    public Task ExecuteResultAsync(ActionContext context) => Result.ExecuteAsync(context.HttpContext);

    public static async Task<IActionResult> From(Task<IResult> result) => new ResultAction(await result);
}
