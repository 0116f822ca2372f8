using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CityOps.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class CaseAttachments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "CaseAttachments",
                columns: table => new
                {
                    Sha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    CaseId = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CaseAttachments", x => new { x.Sha256, x.CaseId });
                    table.ForeignKey(
                        name: "FK_CaseAttachments_Attachments_Sha256",
                        column: x => x.Sha256,
                        principalTable: "Attachments",
                        principalColumn: "Sha256",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_CaseAttachments_Cases_CaseId",
                        column: x => x.CaseId,
                        principalTable: "Cases",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CaseAttachments_CaseId",
                table: "CaseAttachments",
                column: "CaseId");

            // Files already cited by moves: taken from the "attachments" list in the events' data.
            migrationBuilder.Sql("""
                INSERT OR IGNORE INTO "CaseAttachments" ("Sha256", "CaseId")
                SELECT DISTINCT h.value, e."CaseId"
                FROM "CaseEvents" e, json_each(CASE WHEN json_valid(e."Data") THEN e."Data" ELSE '{}' END, '$.attachments') AS h
                WHERE e."Data" LIKE '%"attachments"%' AND json_valid(e."Data")
                  AND json_type(e."Data", '$.attachments') = 'array' AND h.type = 'text'
                  AND EXISTS (SELECT 1 FROM "Attachments" a WHERE a."Sha256" = h.value);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CaseAttachments");
        }
    }
}
