using CityOps.Server.Data;
using CityOps.Server.Features.Cases;
using CityOps.Server.Infrastructure;

namespace CityOps.Server.Features.Routing;

/// <summary>The routing reason in words, stored with the case and shown to everyone.</summary>
public static class RoutingText
{
    public static string Detail(RouteOutcome r, ReferenceData reference)
    {
        var unit = r.UnitId is { } u && reference.Units.TryGetValue(u, out var unitRow) ? unitRow.NameZh : "—";
        return r.Reason switch
        {
            RoutingReason.StorefrontStreetChief => $"门前三包事项，派至社区街长：{unit}",
            RoutingReason.RoutingTable => $"按派遣规则表第{r.RuleId}条：{unit}",
            RoutingReason.CellResponsible => $"按单元网格责任单位：{unit}",
            RoutingReason.Territory => r.UnitId is null ? "无匹配规则且无属地单位" : $"无匹配规则，按属地原则：{unit}",
            _ => "",
        };
    }

    /// <summary>The reason as a short label in the request's language.</summary>
    public static string Label(RoutingReason reason) => Messages.Get("Routing" + reason);
}
