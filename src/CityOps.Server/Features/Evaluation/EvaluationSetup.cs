namespace CityOps.Server.Features.Evaluation;

public static class EvaluationSetup
{
    public static void AddEvaluation(this WebApplicationBuilder builder) => builder.Services.AddSingleton<EvaluationService>();
}
