using CityOps.Server.Components;
using CityOps.Server.Data;
using CityOps.Server.Features.Attachments;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Cases.Calendar;
using CityOps.Server.Features.Cases.Workflow;
using CityOps.Server.Features.Categories;
using CityOps.Server.Features.Evaluation;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Intake;
using CityOps.Server.Features.Routing;
using CityOps.Server.Features.Simulation;
using CityOps.Server.Features.Units;
using CityOps.Server.Features.Users;
using CityOps.Server.Infrastructure;

var builder = WebApplication.CreateBuilder(InfrastructureSetup.HostOptions(args));

builder.AddInfrastructure();
builder.AddDatabase();
builder.AddUsers();
builder.AddGeography();
builder.AddRouting();
builder.AddIntake();
builder.AddWorkCalendar();
builder.AddWorkflow();
builder.AddAttachments();
builder.AddEvaluation();
builder.AddWebApp();
builder.AddSimulation(args);

var app = builder.Build();

app.UseInfrastructure();
app.UseIntakeRateLimit();
app.MapInfrastructure();
app.MapUsers();
app.MapGeography();
app.MapCategories();
app.MapUnits();
app.MapRoutingTable();
app.MapIntake();
app.MapCases();
app.MapWorkflow();
app.MapCalendar();
app.MapAttachments();
app.MapEvaluation();
app.MapWebApp();

await app.RunAsync();

/// <summary>Entry point; public so integration tests can host it.</summary>
public partial class Program;
