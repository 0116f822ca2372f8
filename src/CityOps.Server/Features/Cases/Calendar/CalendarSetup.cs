using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Cases.Calendar;

public static class CalendarSetup
{
    /// <summary>Registers <see cref="CalendarOptions"/> (validated on start), the <see cref="CalendarSource"/> in force and its refresher.</summary>
    public static void AddWorkCalendar(this WebApplicationBuilder builder)
    {
        var contentRoot = builder.Environment.ContentRootPath;
        builder.Services.AddSingleton<IValidateOptions<CalendarOptions>, CalendarOptionsValidator>();
        builder.Services.AddOptions<CalendarOptions>()
            .Bind(builder.Configuration.GetSection(CalendarOptions.Section))
            // A relative folder means the deployment's folder, not wherever the process was started.
            .PostConfigure(o =>
            {
                if (!string.IsNullOrWhiteSpace(o.HolidaysFolder)) o.HolidaysFolder = Path.GetFullPath(o.HolidaysFolder, contentRoot);
            })
            .ValidateOnStart();
        builder.Services.AddSingleton<CalendarSource>();
        builder.Services.AddSingleton<CalendarRefresher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CalendarRefresher>());
    }
}
