using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CityOps.Migrations.Postgres.Migrations
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
                    Sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CaseId = table.Column<long>(type: "bigint", nullable: false)
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
                INSERT INTO "CaseAttachments" ("Sha256", "CaseId")
                SELECT DISTINCT h.sha, e."CaseId"
                FROM "CaseEvents" e
                CROSS JOIN LATERAL jsonb_array_elements_text(
                    CASE WHEN jsonb_typeof(e."Data"::jsonb -> 'attachments') = 'array' THEN e."Data"::jsonb -> 'attachments' END) AS h(sha)
                WHERE e."Data" LIKE '%"attachments"%'
                  AND EXISTS (SELECT 1 FROM "Attachments" a WHERE a."Sha256" = h.sha);
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
