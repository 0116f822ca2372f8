using CityOps.Server.Features.Cases.Calendar;
using CityOps.Server.Features.Supervision;
using Microsoft.Extensions.Options;

namespace CityOps.Server.Features.Cases.Workflow;

public static class WorkflowSetup
{
    public static void AddWorkflow(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<WorkflowOptions>(builder.Configuration.GetSection("CityOps:Workflow"));
        services.Configure<SupervisionOptions>(builder.Configuration.GetSection("CityOps:Supervision"));
        services.AddSingleton(sp => new Clocks(sp.GetRequiredService<CalendarSource>(), sp.GetRequiredService<IOptions<CalendarOptions>>().Value.WarningShare));
        services.AddScoped<Notifier>();
        services.AddScoped<MoveEffects>();
        services.AddScoped<CaseMoves>();
        services.AddSingleton<CaseSignals>();
        services.AddScoped<InboxSession>();
        services.AddHttpClient("webhooks", (sp, c) => c.Timeout = sp.GetRequiredService<IOptions<SupervisionOptions>>().Value.WebhookTimeout);
        services.AddSingleton<OutboxDelivery>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDelivery>());
        services.AddHostedService<DeadlineSweeper>();
    }

    public static void MapWorkflow(this WebApplication app)
    {
        app.MapMoves();
        app.MapAudit();
        app.MapInbox();
        app.MapSupervision();
    }
}
