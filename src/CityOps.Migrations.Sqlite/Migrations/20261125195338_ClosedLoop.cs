using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CityOps.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class ClosedLoop : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "CallbackAt",
                table: "Cases",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "CallbackReached",
                table: "Cases",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ClaimedById",
                table: "Cases",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "Clock_DueAt",
                table: "Cases",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "Clock_Limit",
                table: "Cases",
                type: "REAL",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<int>(
                name: "Clock_Number",
                table: "Cases",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "Clock_OverdueRaised",
                table: "Cases",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "Clock_Paused",
                table: "Cases",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "Clock_SegmentStart",
                table: "Cases",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Clock_Step",
                table: "Cases",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Clock_Unit",
                table: "Cases",
                type: "TEXT",
                maxLength: 32,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<double>(
                name: "Clock_UsedBefore",
                table: "Cases",
                type: "REAL",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<long>(
                name: "Clock_WarnAt",
                table: "Cases",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "Clock_WarningRaised",
                table: "Cases",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "DispatchedAt",
                table: "Cases",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "EffectiveFeedback",
                table: "Cases",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ExtensionCount",
                table: "Cases",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "HandledAt",
                table: "Cases",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "HandledOnTime",
                table: "Cases",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "HandlerId",
                table: "Cases",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Pending",
                table: "Cases",
                type: "TEXT",
                maxLength: 32,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "PendingById",
                table: "Cases",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PendingReason",
                table: "Cases",
                type: "TEXT",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "PendingValue",
                table: "Cases",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "RegisteredAt",
                table: "Cases",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ResultNotes",
                table: "Cases",
                type: "TEXT",
                maxLength: 4000,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ReturnCount",
                table: "Cases",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "ReworkCount",
                table: "Cases",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "Satisfaction",
                table: "Cases",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "SupervisionCount",
                table: "Cases",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "SuspensionCount",
                table: "Cases",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "TaskAssigneeId",
                table: "Cases",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "VerificationPassed",
                table: "Cases",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "IdempotencyKey",
                table: "CaseEvents",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "TargetUserId",
                table: "CaseEvents",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Attachments",
                columns: table => new
                {
                    Sha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ContentType = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Size = table.Column<long>(type: "INTEGER", nullable: false),
                    FileName = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    UploadedById = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    UploadedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Attachments", x => x.Sha256);
                });

            migrationBuilder.CreateTable(
                name: "Leases",
                columns: table => new
                {
                    Name = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Holder = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Leases", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "Notifications",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    UnitId = table.Column<int>(type: "INTEGER", nullable: true),
                    CaseId = table.Column<long>(type: "INTEGER", nullable: true),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Text = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ReadAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Notifications", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Outbox",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Key = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    CaseId = table.Column<long>(type: "INTEGER", nullable: true),
                    Payload = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    NextAttemptAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LockedUntil = table.Column<long>(type: "INTEGER", nullable: true),
                    LockedBy = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    DeliveredAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Outbox", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SupervisionOrders",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    CaseId = table.Column<long>(type: "INTEGER", nullable: false),
                    UnitId = table.Column<int>(type: "INTEGER", nullable: true),
                    SuperiorUnitId = table.Column<int>(type: "INTEGER", nullable: true),
                    Key = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Automatic = table.Column<bool>(type: "INTEGER", nullable: false),
                    IssuedById = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    IssuedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SupervisionOrders", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Cases_Clock_OverdueRaised_Clock_DueAt",
                table: "Cases",
                columns: new[] { "Clock_OverdueRaised", "Clock_DueAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Cases_Clock_WarningRaised_Clock_WarnAt",
                table: "Cases",
                columns: new[] { "Clock_WarningRaised", "Clock_WarnAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CaseEvents_CaseId_IdempotencyKey",
                table: "CaseEvents",
                columns: new[] { "CaseId", "IdempotencyKey" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Notifications_UnitId_CreatedAt",
                table: "Notifications",
                columns: new[] { "UnitId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Notifications_UserId_CreatedAt",
                table: "Notifications",
                columns: new[] { "UserId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Outbox_DeliveredAt_NextAttemptAt",
                table: "Outbox",
                columns: new[] { "DeliveredAt", "NextAttemptAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Outbox_Key",
                table: "Outbox",
                column: "Key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SupervisionOrders_CaseId",
                table: "SupervisionOrders",
                column: "CaseId");

            migrationBuilder.CreateIndex(
                name: "IX_SupervisionOrders_Key",
                table: "SupervisionOrders",
                column: "Key",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Attachments");

            migrationBuilder.DropTable(
                name: "Leases");

            migrationBuilder.DropTable(
                name: "Notifications");

            migrationBuilder.DropTable(
                name: "Outbox");

            migrationBuilder.DropTable(
                name: "SupervisionOrders");

            migrationBuilder.DropIndex(
                name: "IX_Cases_Clock_OverdueRaised_Clock_DueAt",
                table: "Cases");

            migrationBuilder.DropIndex(
                name: "IX_Cases_Clock_WarningRaised_Clock_WarnAt",
                table: "Cases");

            migrationBuilder.DropIndex(
                name: "IX_CaseEvents_CaseId_IdempotencyKey",
                table: "CaseEvents");

            migrationBuilder.DropColumn(
                name: "CallbackAt",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "CallbackReached",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "ClaimedById",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "Clock_DueAt",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "Clock_Limit",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "Clock_Number",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "Clock_OverdueRaised",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "Clock_Paused",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "Clock_SegmentStart",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "Clock_Step",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "Clock_Unit",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "Clock_UsedBefore",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "Clock_WarnAt",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "Clock_WarningRaised",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "DispatchedAt",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "EffectiveFeedback",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "ExtensionCount",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "HandledAt",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "HandledOnTime",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "HandlerId",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "Pending",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "PendingById",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "PendingReason",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "PendingValue",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "RegisteredAt",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "ResultNotes",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "ReturnCount",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "ReworkCount",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "Satisfaction",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "SupervisionCount",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "SuspensionCount",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "TaskAssigneeId",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "VerificationPassed",
                table: "Cases");

            migrationBuilder.DropColumn(
                name: "IdempotencyKey",
                table: "CaseEvents");

            migrationBuilder.DropColumn(
                name: "TargetUserId",
                table: "CaseEvents");
        }
    }
}
