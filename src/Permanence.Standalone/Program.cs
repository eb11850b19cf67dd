using Permanence.Http;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddPermanence(builder.Configuration);
builder.Services.AddProblemDetails();

var app = builder.Build();
app.UseExceptionHandler();
app.MapPermanenceApi();
app.Run();

public partial class Program;
