namespace CityOps.Server.Features.Cases;

/// <summary>
/// Tells open screens (dashboard, map) on this instance that cases changed, so they refresh at
/// once; screens also refresh on a timer for changes made by other instances.
/// </summary>
public sealed class CaseSignals
{
    public event Action? Changed;

    public void Raise()
    {
        try
        {
            Changed?.Invoke();
        }
        catch (Exception)
        {
            // A screen that went away must not fail the move that changed the case.
        }
    }
}
