using CityOps.Server.Features.Attachments;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Categories;
using CityOps.Server.Features.Evaluation;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Intake;
using CityOps.Server.Features.Routing;
using CityOps.Server.Features.Supervision;
using CityOps.Server.Features.Units;
using CityOps.Server.Features.Users;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace CityOps.Server.Data;

/// <summary>The one model, on SQLite or PostgreSQL; each provider has its own migrations assembly.</summary>
public sealed class CityOpsDb(DbContextOptions<CityOpsDb> options) : IdentityDbContext<AppUser>(options), IDataProtectionKeyContext
{
    /// <summary>The key ring that protects sign-in cookies and tokens, shared by every instance on this database.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<Area> Areas => Set<Area>();
    public DbSet<CategoryMajor> CategoryMajors => Set<CategoryMajor>();
    public DbSet<Category> Categories => Set<Category>();
    public DbSet<RegistrationCondition> RegistrationConditions => Set<RegistrationCondition>();
    public DbSet<Unit> Units => Set<Unit>();
    public DbSet<RoutingRule> RoutingRules => Set<RoutingRule>();
    public DbSet<Channel> Channels => Set<Channel>();
    public DbSet<Case> Cases => Set<Case>();
    public DbSet<Report> Reports => Set<Report>();
    public DbSet<CasePhoto> CasePhotos => Set<CasePhoto>();
    public DbSet<CaseEvent> CaseEvents => Set<CaseEvent>();
    public DbSet<ImportJob> ImportJobs => Set<ImportJob>();
    public DbSet<SupervisionOrder> SupervisionOrders => Set<SupervisionOrder>();
    public DbSet<Notification> Notifications => Set<Notification>();
    public DbSet<NotificationRead> NotificationReads => Set<NotificationRead>();
    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();
    public DbSet<Lease> Leases => Set<Lease>();
    public DbSet<Attachment> Attachments => Set<Attachment>();
    public DbSet<CaseAttachment> CaseAttachments => Set<CaseAttachment>();
    public DbSet<AttachmentHolder> AttachmentHolders => Set<AttachmentHolder>();
    public DbSet<EvaluationScheme> EvaluationSchemes => Set<EvaluationScheme>();
    public DbSet<Features.Cases.Calendar.HolidayYear> HolidayYears => Set<Features.Cases.Calendar.HolidayYear>();

    public DbSet<ReferenceStamp> ReferenceStamps => Set<ReferenceStamp>();

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        ReferenceStamp.Touch(ChangeTracker);
        try
        {
            return base.SaveChanges(acceptAllChangesOnSuccess);
        }
        catch (DbUpdateConcurrencyException ex) when (ReferenceStamp.IsMissing(ex))
        {
            ReferenceStamp.Reinsert(ex);
            return base.SaveChanges(acceptAllChangesOnSuccess);
        }
    }

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        ReferenceStamp.Touch(ChangeTracker);
        try
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }
        catch (DbUpdateConcurrencyException ex) when (ReferenceStamp.IsMissing(ex))
        {
            ReferenceStamp.Reinsert(ex);
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }
    }

    public bool IsSqlite => Database.ProviderName == "Microsoft.EntityFrameworkCore.Sqlite";

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        // SQLite cannot compare or order DateTimeOffset text; store UTC ticks instead.
        if (Database.ProviderName == "Microsoft.EntityFrameworkCore.Sqlite")
        {
            builder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
            builder.Properties<DateTimeOffset?>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        }
        builder.Properties<Enum>().HaveConversion<string>().HaveMaxLength(32);
    }

    protected override void OnModelCreating(ModelBuilder b)
    {
        base.OnModelCreating(b);
        b.ApplyConfigurationsFromAssembly(typeof(CityOpsDb).Assembly);
    }
}
