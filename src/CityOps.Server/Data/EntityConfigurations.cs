using CityOps.Server.Features.Attachments;
using CityOps.Server.Features.Cases;
using CityOps.Server.Features.Categories;
using CityOps.Server.Features.Geography;
using CityOps.Server.Features.Intake;
using CityOps.Server.Features.Routing;
using CityOps.Server.Features.Supervision;
using CityOps.Server.Features.Units;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CityOps.Server.Data;

internal sealed class AreaConfiguration : IEntityTypeConfiguration<Area>
{
    public void Configure(EntityTypeBuilder<Area> e)
    {
        e.Property(x => x.Code).HasMaxLength(15);
        e.HasIndex(x => x.Code).IsUnique();
        e.Property(x => x.Name).HasMaxLength(100);
        e.Property(x => x.NameEn).HasMaxLength(100);
        e.HasIndex(x => new { x.Level, x.ParentId });
        e.HasOne<Area>().WithMany().HasForeignKey(x => x.ParentId).OnDelete(DeleteBehavior.Restrict);
        e.HasOne<Unit>().WithMany().HasForeignKey(x => x.ResponsibleUnitId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class CategoryConfiguration : IEntityTypeConfiguration<Category>
{
    public void Configure(EntityTypeBuilder<Category> e)
    {
        e.Property(x => x.ServiceCode).HasMaxLength(8);
        e.HasIndex(x => x.ServiceCode).IsUnique();
        e.Property(x => x.Code).HasMaxLength(2);
        e.Property(x => x.NameZh).HasMaxLength(100);
        e.Property(x => x.NameEn).HasMaxLength(200);
        e.Property(x => x.Keywords).HasMaxLength(500);
        e.Property(x => x.UnitType).HasMaxLength(32);
        e.HasOne(x => x.Major).WithMany().HasForeignKey(x => x.MajorId).OnDelete(DeleteBehavior.Restrict);
        e.HasMany(x => x.Conditions).WithOne().HasForeignKey(x => x.CategoryId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CategoryMajorConfiguration : IEntityTypeConfiguration<CategoryMajor>
{
    public void Configure(EntityTypeBuilder<CategoryMajor> e)
    {
        e.Property(x => x.Code).HasMaxLength(2);
        e.HasIndex(x => new { x.Kind, x.Code }).IsUnique();
    }
}

internal sealed class ConditionConfiguration : IEntityTypeConfiguration<RegistrationCondition>
{
    public void Configure(EntityTypeBuilder<RegistrationCondition> e)
    {
        e.Property(x => x.Code).HasMaxLength(2);
        e.HasIndex(x => new { x.CategoryId, x.Code }).IsUnique();
    }
}

internal sealed class UnitConfiguration : IEntityTypeConfiguration<Unit>
{
    public void Configure(EntityTypeBuilder<Unit> e)
    {
        e.Property(x => x.Code).HasMaxLength(40);
        e.HasIndex(x => x.Code).IsUnique();
        e.HasIndex(x => new { x.Kind, x.AreaId });
        e.HasOne<Unit>().WithMany().HasForeignKey(x => x.ParentId).OnDelete(DeleteBehavior.Restrict);
        e.HasOne<Area>().WithMany().HasForeignKey(x => x.AreaId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class RoutingRuleConfiguration : IEntityTypeConfiguration<RoutingRule>
{
    public void Configure(EntityTypeBuilder<RoutingRule> e)
    {
        // One rule per (area, category), where either may be null ("whole city", "any category"). A
        // unique index treats NULLs as distinct, so the null cases have filtered indexes of their own;
        // the rule for the whole city and any category is kept single by an index in the migrations
        // (UX_RoutingRules_CityAnyCategory, on a constant), which EF Core cannot describe.
        e.HasIndex(x => new { x.AreaId, x.CategoryId }).IsUnique();
        e.HasIndex(x => x.CategoryId, "UX_RoutingRules_CityWide").IsUnique().HasFilter("\"AreaId\" IS NULL");
        e.HasIndex(x => x.AreaId, "UX_RoutingRules_AnyCategory").IsUnique().HasFilter("\"CategoryId\" IS NULL");
        e.HasOne<Area>().WithMany().HasForeignKey(x => x.AreaId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<Category>().WithMany().HasForeignKey(x => x.CategoryId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<Unit>().WithMany().HasForeignKey(x => x.UnitId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ChannelConfiguration : IEntityTypeConfiguration<Channel>
{
    public void Configure(EntityTypeBuilder<Channel> e)
    {
        e.Property(x => x.Code).HasMaxLength(32);
        e.HasIndex(x => x.Code).IsUnique();
        e.Property(x => x.ApiKeyHash).HasMaxLength(64);
        e.HasIndex(x => x.ApiKeyHash).IsUnique();
    }
}

internal sealed class CaseConfiguration : IEntityTypeConfiguration<Case>
{
    public void Configure(EntityTypeBuilder<Case> e)
    {
        e.Property(x => x.Description).HasMaxLength(4000);
        e.Property(x => x.Address).HasMaxLength(500);
        e.Property(x => x.StatusNotes).HasMaxLength(2000);
        e.Property(x => x.RoutingDetail).HasMaxLength(500);
        e.Property(x => x.LastEventHash).HasMaxLength(64);
        e.Property(x => x.Version).IsConcurrencyToken();
        e.HasIndex(x => x.Key).IsUnique();
        e.HasIndex(x => new { x.State, x.ReportedAt });
        e.HasIndex(x => new { x.AssignedUnitId, x.State });
        e.HasIndex(x => x.ReportedAt);
        // Duplicate search: open cases of one category near a point.
        e.HasIndex(x => new { x.CategoryId, x.Lat, x.Lon });
        e.Property(x => x.ClaimedById).HasMaxLength(64);
        e.Property(x => x.HandlerId).HasMaxLength(64);
        e.Property(x => x.TaskAssigneeId).HasMaxLength(64);
        // Open check tasks by holder (set only while a task is open): an inspector's work, and whom the next task goes to.
        e.HasIndex(x => x.TaskAssigneeId).HasFilter("\"TaskAssigneeId\" IS NOT NULL");
        e.Property(x => x.PendingById).HasMaxLength(64);
        e.Property(x => x.ResultNotes).HasMaxLength(4000);
        e.Property(x => x.PendingReason).HasMaxLength(2000);
        e.OwnsOne(x => x.Clock, clock =>
        {
            clock.Property(k => k.Step).HasMaxLength(16);
            // The sweeper's questions: which warnings and deadlines have passed and not been raised?
            clock.HasIndex(k => new { k.OverdueRaised, k.DueAt });
            clock.HasIndex(k => new { k.WarningRaised, k.WarnAt });
        });
        e.HasOne<Channel>().WithMany().HasForeignKey(x => x.ChannelId).OnDelete(DeleteBehavior.Restrict);
        e.HasOne<Category>().WithMany().HasForeignKey(x => x.CategoryId).OnDelete(DeleteBehavior.Restrict);
        e.HasOne<RegistrationCondition>().WithMany().HasForeignKey(x => x.ConditionId).OnDelete(DeleteBehavior.Restrict);
        e.HasOne<Unit>().WithMany().HasForeignKey(x => x.AssignedUnitId).OnDelete(DeleteBehavior.Restrict);
        e.HasOne<Area>().WithMany().HasForeignKey(x => x.CellId).OnDelete(DeleteBehavior.Restrict);
        e.HasMany(x => x.Reports).WithOne().HasForeignKey(x => x.CaseId).OnDelete(DeleteBehavior.Restrict);
        e.HasMany(x => x.Events).WithOne().HasForeignKey(x => x.CaseId).OnDelete(DeleteBehavior.Restrict);
        e.HasMany(x => x.Photos).WithOne().HasForeignKey(x => x.CaseId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class ReportConfiguration : IEntityTypeConfiguration<Report>
{
    public void Configure(EntityTypeBuilder<Report> e)
    {
        e.Property(x => x.ExternalId).HasMaxLength(128);
        e.Property(x => x.IdempotencyKey).HasMaxLength(128);
        e.Property(x => x.Fingerprint).HasMaxLength(64);
        e.Property(x => x.Description).HasMaxLength(4000);
        e.Property(x => x.Address).HasMaxLength(500);
        e.Property(x => x.ReporterName).HasMaxLength(100);
        e.Property(x => x.ReporterPhone).HasMaxLength(40);
        e.Property(x => x.ReporterEmail).HasMaxLength(200);
        e.Property(x => x.DeviceId).HasMaxLength(200);
        e.Property(x => x.AccountId).HasMaxLength(200);
        e.HasIndex(x => new { x.ChannelId, x.ExternalId }).IsUnique();
        e.HasIndex(x => new { x.ChannelId, x.IdempotencyKey }).IsUnique();
        e.HasIndex(x => x.Token).IsUnique();
        e.HasOne<Channel>().WithMany().HasForeignKey(x => x.ChannelId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class CaseEventConfiguration : IEntityTypeConfiguration<CaseEvent>
{
    public void Configure(EntityTypeBuilder<CaseEvent> e)
    {
        e.Property(x => x.Action).HasMaxLength(40);
        e.Property(x => x.ActorId).HasMaxLength(64);
        e.Property(x => x.ActorName).HasMaxLength(200);
        e.Property(x => x.ActorRole).HasMaxLength(32);
        e.Property(x => x.Reason).HasMaxLength(2000);
        e.Property(x => x.PrevHash).HasMaxLength(64);
        e.Property(x => x.Hash).HasMaxLength(64);
        e.HasIndex(x => new { x.CaseId, x.Seq }).IsUnique();
        e.Property(x => x.IdempotencyKey).HasMaxLength(128);
        e.Property(x => x.RequestFingerprint).HasMaxLength(64);
        e.Property(x => x.TargetUserId).HasMaxLength(64);
        e.HasIndex(x => new { x.CaseId, x.IdempotencyKey }).IsUnique();
    }
}

internal sealed class CasePhotoConfiguration : IEntityTypeConfiguration<CasePhoto>
{
    public void Configure(EntityTypeBuilder<CasePhoto> e)
    {
        e.Property(x => x.Url).HasMaxLength(2000);
        e.HasOne(x => x.Report).WithMany().HasForeignKey(x => x.ReportId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class SupervisionOrderConfiguration : IEntityTypeConfiguration<SupervisionOrder>
{
    public void Configure(EntityTypeBuilder<SupervisionOrder> e)
    {
        e.Property(x => x.Key).HasMaxLength(100);
        e.HasIndex(x => x.Key).IsUnique();
        e.HasIndex(x => x.CaseId);
        e.Property(x => x.IssuedById).HasMaxLength(64);
        e.Property(x => x.Reason).HasMaxLength(2000);
        e.Property(x => x.AcknowledgedById).HasMaxLength(64);
        e.Property(x => x.Reply).HasMaxLength(1000);
    }
}

internal sealed class NotificationConfiguration : IEntityTypeConfiguration<Notification>
{
    public void Configure(EntityTypeBuilder<Notification> e)
    {
        e.Property(x => x.UserId).HasMaxLength(64);
        e.Property(x => x.Kind).HasMaxLength(32);
        e.Property(x => x.Text).HasMaxLength(1000);
        e.Property(x => x.MessageKey).HasMaxLength(64);
        e.Property(x => x.MessageArgs).HasMaxLength(200);
        e.HasIndex(x => new { x.UserId, x.CreatedAt });
        e.HasIndex(x => new { x.UnitId, x.CreatedAt });
    }
}

internal sealed class NotificationReadConfiguration : IEntityTypeConfiguration<NotificationRead>
{
    public void Configure(EntityTypeBuilder<NotificationRead> e)
    {
        e.HasKey(x => new { x.NotificationId, x.UserId });
        e.Property(x => x.UserId).HasMaxLength(64);
        e.HasOne<Notification>().WithMany().HasForeignKey(x => x.NotificationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class OutboxConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> e)
    {
        e.Property(x => x.Key).HasMaxLength(100);
        e.HasIndex(x => x.Key).IsUnique();
        e.Property(x => x.Kind).HasMaxLength(32);
        e.Property(x => x.LockedBy).HasMaxLength(64);
        e.Property(x => x.LastError).HasMaxLength(1000);
        e.HasIndex(x => new { x.DeliveredAt, x.NextAttemptAt });
    }
}

internal sealed class LeaseConfiguration : IEntityTypeConfiguration<Lease>
{
    public void Configure(EntityTypeBuilder<Lease> e)
    {
        e.HasKey(x => x.Name);
        e.Property(x => x.Name).HasMaxLength(64);
        e.Property(x => x.Holder).HasMaxLength(64);
    }
}

internal sealed class AttachmentConfiguration : IEntityTypeConfiguration<Attachment>
{
    public void Configure(EntityTypeBuilder<Attachment> e)
    {
        e.HasKey(x => x.Sha256);
        e.Property(x => x.Sha256).HasMaxLength(64);
        e.Property(x => x.ContentType).HasMaxLength(64);
        e.Property(x => x.FileName).HasMaxLength(255);
        e.Property(x => x.UploadedById).HasMaxLength(64);
    }
}

internal sealed class AttachmentHolderConfiguration : IEntityTypeConfiguration<AttachmentHolder>
{
    public void Configure(EntityTypeBuilder<AttachmentHolder> e)
    {
        e.HasKey(x => new { x.Sha256, x.UserId });
        e.Property(x => x.Sha256).HasMaxLength(64);
        e.Property(x => x.UserId).HasMaxLength(64);
        e.HasOne<Attachment>().WithMany().HasForeignKey(x => x.Sha256).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class CaseAttachmentConfiguration : IEntityTypeConfiguration<CaseAttachment>
{
    public void Configure(EntityTypeBuilder<CaseAttachment> e)
    {
        e.HasKey(x => new { x.Sha256, x.CaseId });
        e.Property(x => x.Sha256).HasMaxLength(64);
        e.HasOne<Attachment>().WithMany().HasForeignKey(x => x.Sha256).OnDelete(DeleteBehavior.Restrict);
        e.HasOne<Case>().WithMany().HasForeignKey(x => x.CaseId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class EvaluationSchemeConfiguration : IEntityTypeConfiguration<Features.Evaluation.EvaluationScheme>
{
    public void Configure(EntityTypeBuilder<Features.Evaluation.EvaluationScheme> e)
    {
        e.Property(x => x.Name).HasMaxLength(100);
        e.Property(x => x.CreatedBy).HasMaxLength(256);
        e.HasIndex(x => x.EffectiveFrom);
    }
}

internal sealed class HolidayYearConfiguration : IEntityTypeConfiguration<Features.Cases.Calendar.HolidayYear>
{
    public void Configure(EntityTypeBuilder<Features.Cases.Calendar.HolidayYear> e)
    {
        e.HasKey(x => x.Year);
        e.Property(x => x.Year).ValueGeneratedNever();
        e.Property(x => x.UpdatedBy).HasMaxLength(256);
    }
}

internal sealed class ReferenceStampConfiguration : IEntityTypeConfiguration<ReferenceStamp>
{
    public void Configure(EntityTypeBuilder<ReferenceStamp> e)
    {
        e.Property(x => x.Id).ValueGeneratedNever();
        e.HasData(new ReferenceStamp { Id = ReferenceStamp.RowId, Value = 1 });
    }
}
