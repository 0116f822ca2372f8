using System.Collections.Concurrent;
using CityOps.Server.Data;
using CityOps.Server.Features.Supervision;
using CityOps.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace CityOps.Tests.Resilience;

/// <summary>
/// Webhook delivery with two instances, step by step on a shared fake clock: a message one instance
/// is sending stays claimed for the whole claim time counted from when it was claimed — also late in
/// a batch slowed down by a slow receiver — so the other instance does not send it a second time.
/// </summary>
public sealed class OutboxClaimTests
{
    [Theory, MemberData(nameof(Databases.All), MemberType = typeof(Databases))]
    public async Task A_message_claimed_late_in_a_slow_batch_is_not_sent_again_by_the_other_instance(string db)
    {
        var arrivals = new ConcurrentQueue<string>();
        using var gate = new SemaphoreSlim(0);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var receiver = builder.Build();
        receiver.MapPost("/hook", async (HttpRequest request) =>
        {
            arrivals.Enqueue(request.Headers["Idempotency-Key"].ToString());
            await gate.WaitAsync(TimeSpan.FromSeconds(30)); // the receiver answers when the test lets it
            return Results.Ok();
        });
        await receiver.StartAsync();
        var hook = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";

        // Background sweeps and deliveries only at start: the test drives delivery itself.
        var settings = new Dictionary<string, string?>
        {
            ["CityOps:Supervision:WebhookUrl"] = hook,
            ["CityOps:Supervision:DeliveryInterval"] = "10:00:00",
            ["CityOps:Supervision:SweepInterval"] = "10:00:00",
        };
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var connection = await SeededDatabase.NewAsync(db);
        await using var a = await CityOpsApp.StartAsync(db, settings, time, connection);
        await using var b = await CityOpsApp.StartAsync(db, settings, time, connection);
        var op = await a.SignInAsync("operator");
        var id = await a.CreateClient().ReportAsync("C0106", Api.PointIn("350203"));
        await op.MustAsync(id, "register", new { condition = "02" }); // register and auto-dispatch: two webhook messages
        var (first, second) = ($"case:{id}:event:2", $"case:{id}:event:3");

        // A starts a batch with both messages and is sending the first when the receiver stalls …
        var batchA = a.Services.GetRequiredService<OutboxDelivery>().DeliverBatchAsync(CancellationToken.None);
        await Until(() => arrivals.Contains(first));
        // … for longer than a claim lasts (three webhook timeouts, 30 s); then it answers, and A claims and sends the second.
        time.Advance(TimeSpan.FromSeconds(40));
        gate.Release();
        await Until(() => arrivals.Contains(second));

        // B looks for work now: the second message is being sent by A and must not be sent again.
        var batchB = b.Services.GetRequiredService<OutboxDelivery>().DeliverBatchAsync(CancellationToken.None);
        await Task.WhenAny(batchB, Task.Delay(TimeSpan.FromSeconds(3))); // B is done, or stuck at the receiver with a repeat
        gate.Release(10);
        var (sentByA, sentByB) = (await batchA, await batchB);

        Assert.Equal([first, second], arrivals.ToArray());
        Assert.Equal((2, 0), (sentByA, sentByB));
        using var scope = a.Services.CreateScope();
        var data = scope.ServiceProvider.GetRequiredService<CityOpsDb>();
        Assert.Equal([1, 1], await data.Outbox.Where(m => m.CaseId == id).OrderBy(m => m.Id).Select(m => m.Attempts).ToListAsync());
        Assert.False(await data.Outbox.AnyAsync(m => m.CaseId == id && m.DeliveredAt == null));
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the receiver was not reached in time");
            await Task.Delay(20);
        }
    }
}
