using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace NExtLong.Tests;

/// <summary>
/// Debian's headless Chromium driven over the Chrome DevTools Protocol (a websocket on loopback): enough to
/// evaluate script, click with real mouse events, and take screenshots.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Binary = "/usr/bin/chromium";
    private readonly Process _process;
    private readonly ClientWebSocket _socket = new();
    private readonly string _profile;
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public static async Task<HeadlessChromium> Open(string url, int width = 1280, int height = 1000)
    {
        string profile = Directory.CreateTempSubdirectory("nextlong-chromium-").FullName;
        var info = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        // Chromium's own scratch (its singleton socket folder) goes inside the profile, deleted with it; killed, it leaves that behind.
        info.Environment["TMPDIR"] = profile;
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                     $"--user-data-dir={profile}", $"--window-size={width},{height}", url })
            info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        var browser = new HeadlessChromium(process, profile);
        string portFile = Path.Combine(profile, "DevToolsActivePort");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(portFile) || File.ReadAllLines(portFile).Length < 1)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60) || process.HasExited) throw new InvalidOperationException("chromium did not open its DevTools port");
            await Task.Delay(100);
        }
        int port = int.Parse(File.ReadAllLines(portFile)[0]);
        using var http = new HttpClient();
        string? socketUrl = null;
        while (socketUrl is null)
        {
            var targets = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list")).RootElement;
            socketUrl = targets.EnumerateArray().Where(t => t.GetProperty("type").GetString() == "page")
                .Select(t => t.GetProperty("webSocketDebuggerUrl").GetString()).FirstOrDefault();
            if (socketUrl is null) await Task.Delay(100);
        }
        await browser._socket.ConnectAsync(new Uri(socketUrl), CancellationToken.None);
        return browser;
    }

    public async Task<JsonElement> Send(string method, object? parameters = null)
    {
        int id = ++_nextId;
        var request = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters ?? new { } });
        await _socket.SendAsync(request, WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[1 << 16];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                message.Write(buffer, 0, result.Count);
            } while (!result.EndOfMessage);
            var reply = JsonDocument.Parse(message.ToArray()).RootElement;
            if (!reply.TryGetProperty("id", out var replyId) || replyId.GetInt32() != id) continue;
            if (reply.TryGetProperty("error", out var error)) throw new InvalidOperationException($"{method}: {error}");
            return reply.GetProperty("result").Clone();
        }
    }

    public async Task<JsonElement> Evaluate(string expression)
    {
        var result = await Send("Runtime.evaluate", new { expression, returnByValue = true, awaitPromise = true });
        if (result.TryGetProperty("exceptionDetails", out var ex)) throw new InvalidOperationException($"script failed: {ex}");
        var value = result.GetProperty("result");
        return value.TryGetProperty("value", out var v) ? v : default;
    }

    /// <summary>Waits until <paramref name="expression"/> evaluates to true.</summary>
    public async Task WaitFor(string expression, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while ((await Evaluate($"!!({expression})")).ValueKind != JsonValueKind.True)
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"page never satisfied: {expression}");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Scrolls the element into view and clicks its centre with real mouse events. A virtualised view redraws its rows
    /// after a scroll, so the centre is taken once the element (found again each frame) stays put for a frame and is the
    /// one at that point; a loaded machine can take several frames to redraw.
    /// </summary>
    public async Task Click(string selector)
    {
        string find = $"document.querySelector({JsonSerializer.Serialize(selector)})";
        var box = await Evaluate($$"""
            (async () => {
                {{find}}.scrollIntoView({block: 'center'});
                const frame = () => new Promise(r => { requestAnimationFrame(() => r()); setTimeout(r, 50); });
                let last = null;
                for (let i = 0; i < 100; i++) {
                    await frame();
                    const e = {{find}}, r = e.getBoundingClientRect(), p = [r.x + r.width / 2, r.y + r.height / 2];
                    const hit = document.elementFromPoint(p[0], p[1]);
                    if (last && last[0] === p[0] && last[1] === p[1] && hit && e.contains(hit)) return p;
                    last = p;
                }
                return last;
            })()
            """);
        double x = box[0].GetDouble(), y = box[1].GetDouble();
        await Send("Input.dispatchMouseEvent", new { type = "mouseMoved", x, y });
        await Send("Input.dispatchMouseEvent", new { type = "mousePressed", x, y, button = "left", clickCount = 1 });
        await Send("Input.dispatchMouseEvent", new { type = "mouseReleased", x, y, button = "left", clickCount = 1 });
    }

    public async Task<byte[]> Screenshot()
        => Convert.FromBase64String((await Send("Page.captureScreenshot", new { format = "png" })).GetProperty("data").GetString()!);

    public async ValueTask DisposeAsync()
    {
        try { await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None); } catch (WebSocketException) { }
        _socket.Dispose();
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { }
    }
}
