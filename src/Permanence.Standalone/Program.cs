using Permanence.Http;
using Permanence.Standalone;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddPermanence(builder.Configuration).AddStandaloneWorkers();
builder.Services.AddProblemDetails();

var app = builder.Build();
app.UseExceptionHandler();
app.MapPermanenceApi();
app.Run();

public partial class Program;
