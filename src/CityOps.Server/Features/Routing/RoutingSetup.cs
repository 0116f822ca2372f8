using CityOps.Server.Data;

namespace CityOps.Server.Features.Routing;

public static class RoutingSetup
{
    public static void AddRouting(this WebApplicationBuilder builder) =>
        builder.Services.AddSingleton<ReferenceDataCache>();
}
