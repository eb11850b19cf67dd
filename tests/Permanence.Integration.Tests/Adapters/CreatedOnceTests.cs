using Permanence.Infrastructure.Storage;

namespace Permanence.Integration.Tests.Adapters;

public class CreatedOnceTests
{
    [Fact]
    public async Task GetAsync_FirstCreationFails_NextCallerTriesAgainThenReuses()
    {
        var attempts = 0;
        var resource = new CreatedOnce<string>(() =>
        {
            attempts++;
            return attempts == 1 ? Task.FromException<string>(new IOException("storage down")) : Task.FromResult("container");
        });

        await Assert.ThrowsAsync<IOException>(resource.GetAsync);
        Assert.Equal("container", await resource.GetAsync());
        Assert.Equal("container", await resource.GetAsync());
        Assert.Equal(2, attempts);
    }
}
