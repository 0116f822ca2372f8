using CityOps.Server.Features.Cases;

namespace CityOps.Server.Features.Simulation;

/// <summary>
/// What will happen to one case, drawn when it is reported (pure, from the case's own seeded
/// <see cref="Random"/>): whether the operator voids it or has it fact-checked, whether it goes to
/// the wrong unit first, is reworked, verified, called back. The shares are in <see cref="StoryFigures"/>.
/// </summary>
public sealed record CaseStory(
    bool Void, bool FactCheck, bool FactCheckFails, bool WrongUnit, bool UnitRework, bool Verify, bool VerifyFails,
    bool CentreRework, bool Callback, bool Reached, Satisfaction Satisfaction, bool Reopen)
{
    /// <summary>Channels with a citizen behind them: voided more often, checked first more often, called back.</summary>
    public static bool FromCitizen(string channel) => channel is "hotline12345" or "web" or "app" or "wechat" or "weibo" or "mayor-mailbox" or "petition" or "media";

    public static CaseStory Draw(Random r, string channel)
    {
        var citizen = FromCitizen(channel);
        var factCheck = r.NextDouble() < (citizen ? StoryFigures.FactCheckCitizen : StoryFigures.FactCheckOther);
        var factCheckFails = factCheck && r.NextDouble() < StoryFigures.FactCheckFails;
        var voided = factCheckFails || r.NextDouble() < (citizen ? StoryFigures.VoidCitizen : StoryFigures.VoidOther);
        var verify = r.NextDouble() < StoryFigures.Verify;
        var callback = citizen && r.NextDouble() < StoryFigures.Callback;
        var reached = callback && r.NextDouble() < StoryFigures.Reached;
        var u = r.NextDouble();
        var satisfaction = u < StoryFigures.Satisfied ? Satisfaction.Satisfied
            : u < StoryFigures.Satisfied + StoryFigures.BasicallySatisfied ? Satisfaction.BasicallySatisfied : Satisfaction.Dissatisfied;
        return new CaseStory(
            Void: voided,
            FactCheck: factCheck,
            FactCheckFails: factCheckFails,
            WrongUnit: r.NextDouble() < StoryFigures.WrongUnit,
            UnitRework: r.NextDouble() < StoryFigures.UnitRework,
            Verify: verify,
            VerifyFails: verify && r.NextDouble() < StoryFigures.VerifyFails,
            CentreRework: r.NextDouble() < StoryFigures.CentreRework,
            Callback: callback,
            Reached: reached,
            Satisfaction: satisfaction,
            Reopen: reached && satisfaction == Satisfaction.Dissatisfied && r.NextDouble() < StoryFigures.ReopenWhenDissatisfied);
    }
}

/// <summary>How often each turn of the loop happens (shares of cases), and how long people take (simulated minutes, means).</summary>
public static class StoryFigures
{
    public const double VoidCitizen = 0.08;
    public const double VoidOther = 0.03;
    public const double FactCheckCitizen = 0.10;
    public const double FactCheckOther = 0.02;
    public const double FactCheckFails = 0.3;
    public const double WrongUnit = 0.05;
    public const double UnitRework = 0.04;
    public const double Verify = 0.25;
    public const double VerifyFails = 0.10;
    public const double CentreRework = 0.02;
    public const double Callback = 0.90;
    public const double Reached = 0.85;
    public const double Satisfied = 0.80;
    public const double BasicallySatisfied = 0.15;
    public const double ReopenWhenDissatisfied = 0.4;

    /// <summary>Share of cases whose handling runs past the limit (1–1.6 times it); the others take 15–85 % of it.</summary>
    public const double HandledLate = 0.06;

    public const double ClaimMinutes = 12;
    public const double HotlineClaimMinutes = 3;
    public const double RegisterMinutes = 8;
    public const double FieldCheckMinutes = 50;
    public const double DispatchMinutes = 20;
    public const double ReturnMinutes = 45;
    public const double AssignMinutes = 40;
    public const double ReworkHandlingMinutes = 120;
    public const double ConfirmMinutes = 30;
    public const double CloseMinutes = 30;
    public const double CallbackMinutes = 8 * 60;
}
