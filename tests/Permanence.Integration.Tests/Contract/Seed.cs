using System.Net;
using System.Security.Cryptography;
using System.Text;
using Permanence.Integration.Tests.Hosts;
using Twilio.Security;

namespace Permanence.Integration.Tests.Contract;

internal static class Seed
{
    /// <summary>Creates a client from the design example with a number of its own.</summary>
    public static async Task<(string ClientId, string Number)> ClientAsync(HttpClient http, string? clientId = null)
    {
        clientId ??= TestEnvironment.NewClientId();
        var number = Api.NewNumber();
        var response = await http.SendAsync(Api.Request(HttpMethod.Put, $"/api/clients/{clientId}", TestKeys.Admin, Api.Althea(number)));
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (clientId, number);
    }

    /// <summary>
    /// Twilio's signature: HMAC-SHA1 of the URL followed by the sorted form fields, base64. Each signature made
    /// here is first checked with the Twilio SDK's own RequestValidator, so the tests send real signatures.
    /// </summary>
    public static string TwilioSignature(string url, IDictionary<string, string> form, string authToken = TestKeys.TwilioAuthToken)
    {
        var data = new StringBuilder(url);
        foreach (var key in form.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            data.Append(key).Append(form[key]);
        }
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(authToken));
        var signature = Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(data.ToString())));
        Assert.True(new RequestValidator(authToken).Validate(url, form, signature));
        return signature;
    }
}
