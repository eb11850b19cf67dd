using Permanence.Core.Configuration;
using Permanence.Core.Messages;

namespace Permanence.Core.Tests;

public class MessageQualifierTests
{
    private static readonly ContractVersion Althea = Samples.Compile(Samples.AltheaJson());

    private static MessageInput Message(string scenario, string? text = null, string? phone = "06 12 34 56 78", Dictionary<string, string?>? fields = null) => new()
    {
        ClientId = "althea",
        Scenario = scenario,
        Caller = new CallerInput { Name = "Mme Durand", Phone = phone },
        Fields = fields ?? [],
        Text = text,
        TakenAt = "2026-10-05T19:42:10Z",
    };

    [Theory]
    [InlineData("Douleur THORACIQUE depuis ce matin")]
    [InlineData("douleur thoracique")]
    [InlineData("DOULEUR   thoracïque")]
    public void Qualify_KeywordInText_RaisesPriorityIgnoringCaseAndAccents(string text)
    {
        var result = MessageQualifier.Qualify(Althea, Message("rdv", text, fields: new() { ["preferredDate"] = "lundi" }));
        Assert.Equal(Priority.Critical, result.Priority);
    }

    [Fact]
    public void Qualify_KeywordInAField_RaisesPriority()
    {
        var result = MessageQualifier.Qualify(Althea, Message("resultats", fields: new() { ["motif"] = "Douleur thoracique" }));
        Assert.Equal(Priority.Critical, result.Priority);
    }

    [Fact]
    public void Qualify_NoKeyword_KeepsTheScenarioPriority()
    {
        var result = MessageQualifier.Qualify(Althea, Message("resultats", "Rappeler pour les résultats"));
        Assert.Equal(Priority.Important, result.Priority);
        Assert.True(result.Qualification.Complete);
        Assert.Equal("+33612345678", result.CallerPhoneE164);
    }

    [Fact]
    public void Qualify_UnknownScenario_TakesUnknownScenarioPriorityAndIsIncomplete()
    {
        var result = MessageQualifier.Qualify(Althea, Message("livraison"));
        Assert.Equal(Priority.Important, result.Priority);
        Assert.False(result.Qualification.Complete);
        Assert.Contains("scenario", result.Qualification.Missing);
    }

    [Fact]
    public void Qualify_MissingRequiredField_IsIncompleteAndNamesIt()
    {
        var result = MessageQualifier.Qualify(Althea, Message("urgence", fields: new() { ["symptoms"] = "  " }));
        Assert.False(result.Qualification.Complete);
        Assert.Equal(["symptoms"], result.Qualification.Missing);
        Assert.Equal(Priority.Critical, result.Priority);
    }

    [Fact]
    public void Qualify_InvalidCallerPhone_IsIncompleteAndInvalid()
    {
        var result = MessageQualifier.Qualify(Althea, Message("resultats", phone: "12"));
        Assert.False(result.Qualification.Complete);
        Assert.Equal(["callerPhone"], result.Qualification.Invalid);
        Assert.Null(result.CallerPhoneE164);
    }
}
