using CityOps.Server.Features.Intake;

namespace CityOps.Server.Data.Seeding;

/// <summary>The 15 intake channels of DOMAIN §4 (Xiamen's).</summary>
public static class ChannelSeed
{
    public static IReadOnlyList<Channel> All() =>
    [
        New("hotline12345", "12345市民热线", "12345 citizen hotline", SourceType.Complaint),
        New("web", "门户网站", "Website", SourceType.Complaint),
        New("app", "移动客户端", "Mobile app", SourceType.Complaint),
        New("wechat", "微信公众号/小程序", "WeChat account / mini program", SourceType.Complaint),
        New("weibo", "政务微博", "Weibo", SourceType.Complaint),
        New("mayor-mailbox", "市长信箱", "Mayor's mailbox", SourceType.Complaint),
        New("petition", "信访", "Letters and visits", SourceType.Complaint),
        New("inspector", "监督员巡查上报", "Inspector patrol report", SourceType.FoundOnPatrol),
        New("street-chief", "街长巡查", "Street chief patrol", SourceType.FoundOnPatrol),
        New("frontage", "门前三包系统", "Storefront-duty system", SourceType.ReportedFromBelow),
        New("camera-ai", "视频智能识别", "Video camera AI detection", SourceType.FoundOnPatrol),
        New("iot-sensor", "物联感知报警", "IoT sensor alarm", SourceType.FoundOnPatrol),
        New("media", "媒体曝光", "Media exposure", SourceType.Other),
        New("leader", "领导交办", "Leader's instruction", SourceType.AssignedFromAbove),
        New("referral", "部门转办", "Referral from another department", SourceType.TransferredFromPeer),
    ];

    private static Channel New(string code, string zh, string en, SourceType source) =>
        new() { Code = code, NameZh = zh, NameEn = en, SourceType = source };

    /// <summary>The key a demo channel accepts (Development only): demo-web-key for "web".</summary>
    public static string DemoKey(string code) => $"demo-{code}-key";
}
