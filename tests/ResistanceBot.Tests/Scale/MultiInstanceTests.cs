using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Scale;

/// <summary>
/// Several instances of the bot on one PostgreSQL database behind a load balancer, in webhook mode, as the README's "more
/// than one machine" set-up runs them.
/// </summary>
public sealed class MultiInstanceTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Secret = "multi_instance-secret";
    private const long EditorId = 7_100_000;
    private const int Parallelism = 16;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A load balancer in front of the instances: each update goes to the next instance in turn, and to another one when that
    /// instance does not answer, as a health-checked balancer would.
    /// </summary>
    private static async Task<TestWebServer> LoadBalancerAsync(List<Uri> instances)
    {
        var balancer = await TestWebServer.StartAsync();
        var turn = 0;
        var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        balancer.Route("/telegram/webhook", async http =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            var first = Interlocked.Increment(ref turn);
            for (var i = 0; i < instances.Count; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, instances[(first + i) % instances.Count]) { Content = new ByteArrayContent(body.ToArray()) };
                request.Content.Headers.ContentType = new("application/json");
                request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", http.Request.Headers["X-Telegram-Bot-Api-Secret-Token"].ToString());
                try
                {
                    using var response = await client.SendAsync(request);
                    http.Response.StatusCode = (int)response.StatusCode;
                    return;
                }
                catch (HttpRequestException)
                {
                    // That instance is down: the next one gets the update.
                }
            }

            http.Response.StatusCode = StatusCodes.Status502BadGateway;
        });
        return balancer;
    }

    [PostgresFact]
    public async Task An_update_delivered_to_two_instances_at_once_is_handled_once()
    {
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        var db = TestDatabase.New();
        var ports = new[] { Loopback.FreePort(), Loopback.FreePort() };
        var hooks = ports.Select(p => new Uri($"http://127.0.0.1:{p}/telegram/webhook")).ToList();
        await using var balancer = await LoadBalancerAsync(hooks);
        string[] Settings(int port) => BotHost.DefaultSettings(emulator, db,
            "--Telegram:Mode=Webhook", $"--Telegram:WebhookUrl={balancer.LoopbackUrl("/telegram/webhook")}", $"--Telegram:WebhookSecret={Secret}", $"--Http:Urls=http://127.0.0.1:{port}");
        await using var a = await BotHost.StartAsync(emulator, Settings(ports[0]), database: db);
        await using var b = await BotHost.StartAsync(emulator, Settings(ports[1]), database: db);
        var user = emulator.User(61001, "Reader");
        using var http = new HttpClient();

        // Telegram retrying an update it thinks was lost: the same update reaches both instances at the same moment.
        // (Six: answers into one chat are paced at about one a second, as Telegram asks.)
        for (var updateId = 1; updateId <= 6; updateId++)
        {
            var update = $$$"""
                {"update_id":{{{updateId}}},"message":{"message_id":{{{updateId}}},"from":{"id":{{{user.Id}}},"is_bot":false,"first_name":"Reader"},
                "chat":{"id":{{{user.Id}}},"first_name":"Reader","type":"private"},"date":1718000000,"text":"/help",
                "entities":[{"offset":0,"length":5,"type":"bot_command"}]}}
                """;
            var answers = await Task.WhenAll(hooks.Select(async hook =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, hook) { Content = new StringContent(update, Encoding.UTF8, "application/json") };
                request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", Secret);
                using var response = await http.SendAsync(request);
                return response.StatusCode;
            }));
            Assert.All(answers, s => Assert.Equal(HttpStatusCode.OK, s));
        }

        // Each update ends on each instance as handled or as "already handled" (event 1002): once both have said so for all
        // six, no further answer can come.
        await Eventually.HoldsAsync(() => Task.FromResult(user.BotMessageCount >= 6), Wait, "six answers");
        await Eventually.HoldsAsync(() => Task.FromResult(a.Logs.Lines.Concat(b.Logs.Lines).Count(l => l.EventId == 1002) == 6), Wait, "six duplicates to be skipped");
        Assert.Equal(6, user.BotMessageCount);
        Assert.Equal(6, await a.WithDbAsync(d => d.ProcessedUpdates.CountAsync(u => u.Completed)));
    }

    [PostgresFact]
    public async Task Killing_the_sending_instance_mid_fan_out_hands_over_within_seconds_loses_nothing_and_keeps_the_rate()
    {
        const int Limit = 200;
        await using var emulator = await BotApiEmulator.BotApiEmulator.StartAsync();
        emulator.Faults.GlobalSendsPerSecond = Limit;
        var db = TestDatabase.New();
        var ports = new[] { Loopback.FreePort(), Loopback.FreePort() };
        var hooks = ports.Select(p => new Uri($"http://127.0.0.1:{p}/telegram/webhook")).ToList();
        await using var balancer = await LoadBalancerAsync(hooks);
        var settings = ports.Select(port => BotHost.DefaultSettings(emulator, db,
            "--Telegram:Mode=Webhook", $"--Telegram:WebhookUrl={balancer.LoopbackUrl("/telegram/webhook")}", $"--Telegram:WebhookSecret={Secret}",
            $"--Http:Urls=http://127.0.0.1:{port}", $"--Staff:AdminIds:0={EditorId}",
            "--Delivery:MessagesPerSecond=150", $"--Delivery:Parallelism={Parallelism}")).ToList();
        // Both instances share one database, so they must share its keys too.
        settings[1] = [.. settings[1].Where(s => !s.StartsWith("--Security:", StringComparison.Ordinal)), .. settings[0].Where(s => s.StartsWith("--Security:", StringComparison.Ordinal))];
        var ids = Enumerable.Range(1, 1500).Select(i => 30_000_000L + i).ToList();
        await using (var seed = await Seed.OpenAsync(settings[0]))
        {
            await seed.SubscribersAsync(ids);
            await seed.PickedArticlesAsync(10);
        }

        emulator.AddUsers(ids);
        var editor = emulator.User(EditorId, "Editor");
        var instances = settings.Select(s => BotProcess.Start(s)).ToList();
        try
        {
            static bool Leads(BotProcess p) => p.StandardOutput.Contains("now leads", StringComparison.Ordinal);
            await Eventually.HoldsAsync(() => Task.FromResult(instances.Count(Leads) == 1 && emulator.WebhookUrl is not null), Wait, "one instance to lead");
            await Task.Delay(ResistanceBot.Storage.Leadership.Check * 2);
            Assert.Equal(1, instances.Count(Leads)); // still one: the other keeps trying the lock and failing
            var leader = instances.Single(Leads);
            var follower = instances.Single(p => !Leads(p));

            var released = await Confirm.CommandAsync(emulator, editor, "/publish");
            Assert.StartsWith("Edition №1 released with 10 items. Getting it now: 1500 subscribers", released.Text, StringComparison.Ordinal);
            var total = ids.Count * 2;
            await emulator.WaitUntilAsync(() => emulator.Stats.Sends >= total * 0.3, Wait, "30% of the fan-out");

            leader.Kill();
            await leader.WaitForExitAsync(Wait);
            var killedAt = Stopwatch.StartNew();
            var sendsAtKill = emulator.Stats.Sends;
            await Eventually.HoldsAsync(() => Task.FromResult(Leads(follower)), Wait, "the other instance to take over");
            var takeover = killedAt.Elapsed;
            await emulator.WaitUntilAsync(() => emulator.Stats.Sends > sendsAtKill + Parallelism, Wait, "sends to resume");
            var resumed = killedAt.Elapsed;

            // The surviving instance also serves updates: the balancer sends everything to it now.
            var stats = await editor.AskAsync("/stats", Wait);
            Assert.Contains("Subscribers: 1500", stats.Text, StringComparison.Ordinal);

            await Eventually.HoldsAsync(async () =>
            {
                await using var check = await Seed.OpenAsync(settings[0]);
                return await check.CountPendingAsync() == 0;
            }, TimeSpan.FromSeconds(90), "the fan-out to finish on the surviving instance");

            var duplicates = 0;
            foreach (var id in ids)
            {
                var parts = emulator.Messages(id).Where(m => m.FromBot).Select(m => m.Text.StartsWith("📰 Resistance digest №1", StringComparison.Ordinal) ? 0 : 1).ToList();
                Assert.Equal([0, 1], parts.Distinct()); // every part, in order
                duplicates += parts.Count - 2;
            }

            // The rate: the emulator refused nothing, and no second saw more than the limit arrive.
            var times = ids.SelectMany(id => emulator.Messages(id).Where(m => m.FromBot).Select(m => m.Date)).Order().ToList();
            var busiest = 0;
            for (int start = 0, end = 0; end < times.Count; end++)
            {
                while (times[end] - times[start] >= TimeSpan.FromSeconds(1))
                {
                    start++;
                }

                busiest = Math.Max(busiest, end - start + 1);
            }

            output.WriteLine($"takeover {takeover.TotalSeconds:0.0} s, sends resumed {resumed.TotalSeconds:0.0} s after the kill; duplicates {duplicates}; busiest second {busiest} (limit {Limit}); 429s {emulator.Stats.TooManyRequests}");
            Assert.Equal(0, emulator.Stats.TooManyRequests);
            Assert.InRange(busiest, 1, Limit);
            Assert.True(takeover < TimeSpan.FromSeconds(10), $"takeover took {takeover.TotalSeconds:0.0} s");
            Assert.InRange(duplicates, 0, 2 * Parallelism); // at most what the dead instance had in flight
        }
        finally
        {
            foreach (var instance in instances)
            {
                instance.Dispose();
            }
        }
    }

    [PostgresFact]
    public async Task Two_claimers_racing_over_one_outbox_never_take_the_same_row()
    {
        var db = TestDatabase.New();
        var now = TimeProvider.System.GetUtcNow().UtcDateTime;
        await using (var setup = Storage.StorageServices.CreateContext(db.Provider, db.ConnectionString))
        {
            await setup.Database.MigrateAsync();
            setup.Outbox.AddRange(Enumerable.Range(0, 3000).Select(_ => new Delivery.OutboxMessage { NotBefore = now.AddMinutes(-1), State = Delivery.OutboxState.Pending }));
            await setup.SaveChangesAsync();
        }

        // As two instances would during a handover: each claims batches until nothing is left for it.
        async Task<List<long>> ClaimAllAsync()
        {
            await using var claimer = Storage.StorageServices.CreateContext(db.Provider, db.ConnectionString);
            var taken = new List<long>();
            while (await Delivery.FanOutWorker.ClaimAsync(claimer, now, 0, CancellationToken.None) is { Count: > 0 } batch)
            {
                taken.AddRange(batch.Select(r => r.Id));
            }

            return taken;
        }

        var claims = await Task.WhenAll(ClaimAllAsync(), ClaimAllAsync());

        output.WriteLine($"claimed {claims[0].Count} and {claims[1].Count}");
        Assert.Empty(claims[0].Intersect(claims[1]));
        Assert.Equal(3000, claims[0].Concat(claims[1]).Distinct().Count());
    }

    [PostgresFact]
    public async Task A_release_on_a_second_instance_waits_until_the_first_has_committed()
    {
        var db = TestDatabase.New();
        const long key = 4_242_001;
        await using var first = Storage.StorageServices.CreateContext(db.Provider, db.ConnectionString);
        await using var second = Storage.StorageServices.CreateContext(db.Provider, db.ConnectionString);
        await using var firstTransaction = await first.Database.BeginTransactionAsync();
        await Storage.StorageCapabilities.LockAcrossInstancesAsync(first, key, CancellationToken.None);

        // As EditionService.ReleaseAsync on the other instance: its transaction asks for the same lock, and must wait.
        await using var secondTransaction = await second.Database.BeginTransactionAsync();
        var waiting = Storage.StorageCapabilities.LockAcrossInstancesAsync(second, key, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(waiting.IsCompleted, "the second instance's release went ahead while the first one's was running");

        await firstTransaction.CommitAsync();
        await waiting.WaitAsync(Wait);
        await secondTransaction.CommitAsync();
    }
}
