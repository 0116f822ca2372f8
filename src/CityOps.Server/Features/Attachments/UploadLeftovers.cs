namespace CityOps.Server.Features.Attachments;

/// <summary>
/// Removes the temporary files of uploads that never finished because their process was killed
/// (an upload that fails in a running process removes its own). At start, then every hour; only
/// files older than <see cref="MinAge"/>, so an upload still being written by another instance on
/// the same folder is left alone.
/// </summary>
public sealed class UploadLeftovers(AttachmentOptions options, ILogger<UploadLeftovers> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    public static readonly TimeSpan MinAge = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                var removed = Remove(DateTime.UtcNow - MinAge);
                if (removed > 0) log.LogInformation("Removed {Count} temporary file(s) of unfinished uploads", removed);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.LogWarning(e, "Removing temporary files of unfinished uploads from {Path} failed", options.Path);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Deletes the upload temporaries last written before <paramref name="before"/>; returns how many.</summary>
    public int Remove(DateTime before)
    {
        if (!Directory.Exists(options.Path)) return 0;
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(options.Path, AttachmentStore.TempPrefix + "*"))
        {
            if (File.GetLastWriteTimeUtc(file) >= before) continue;
            try
            {
                File.Delete(file);
                removed++;
            }
            catch (IOException)
            {
                // Gone already (another instance got there first) or still held: the next round sees it again.
            }
        }
        return removed;
    }
}
