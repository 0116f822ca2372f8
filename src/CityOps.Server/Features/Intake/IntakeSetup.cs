using CityOps.Server.Features.Intake.Open311;

namespace CityOps.Server.Features.Intake;

public static class IntakeSetup
{
    public static void AddIntake(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<IntakeOptions>(builder.Configuration.GetSection("CityOps:Intake"));
        builder.Services.AddScoped<IntakeService>();
        builder.Services.AddSingleton<IntakeWriter>();
        builder.Services.AddSingleton<OpeningCases>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<IntakeWriter>());
        builder.AddIntakeRateLimit();
    }

    public static void MapIntake(this WebApplication app)
    {
        app.MapOpen311();
        app.MapNativeIntake();
        app.MapChannels();
    }
}
