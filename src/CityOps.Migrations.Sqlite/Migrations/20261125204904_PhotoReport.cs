using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CityOps.Migrations.Sqlite.Migrations
{
    /// <summary>
    /// Adds the foreign key from a case photo to the report it came with. SQLite cannot add a foreign
    /// key to a table, so the table is rebuilt. EF Core would rebuild it around
    /// <c>PRAGMA foreign_keys = 0</c>, which cannot run inside a transaction, and so splits the
    /// migration into several transactions: a start killed between them leaves the migration half
    /// applied and every later start failing on it. Nothing references CasePhotos, so the rebuild
    /// needs no such pragma and runs as one statement list, in the migration's one transaction.
    /// </summary>
    public partial class PhotoReport : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE "ef_temp_CasePhotos" (
                    "Id" INTEGER NOT NULL CONSTRAINT "PK_CasePhotos" PRIMARY KEY AUTOINCREMENT,
                    "AddedAt" INTEGER NOT NULL,
                    "CaseId" INTEGER NOT NULL,
                    "ReportId" INTEGER NULL,
                    "Url" TEXT NOT NULL,
                    CONSTRAINT "FK_CasePhotos_Cases_CaseId" FOREIGN KEY ("CaseId") REFERENCES "Cases" ("Id") ON DELETE RESTRICT,
                    CONSTRAINT "FK_CasePhotos_Reports_ReportId" FOREIGN KEY ("ReportId") REFERENCES "Reports" ("Id") ON DELETE RESTRICT
                );
                INSERT INTO "ef_temp_CasePhotos" ("Id", "AddedAt", "CaseId", "ReportId", "Url")
                SELECT "Id", "AddedAt", "CaseId", "ReportId", "Url" FROM "CasePhotos";
                DROP TABLE "CasePhotos";
                ALTER TABLE "ef_temp_CasePhotos" RENAME TO "CasePhotos";
                CREATE INDEX "IX_CasePhotos_CaseId" ON "CasePhotos" ("CaseId");
                CREATE INDEX "IX_CasePhotos_ReportId" ON "CasePhotos" ("ReportId");
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE "ef_temp_CasePhotos" (
                    "Id" INTEGER NOT NULL CONSTRAINT "PK_CasePhotos" PRIMARY KEY AUTOINCREMENT,
                    "AddedAt" INTEGER NOT NULL,
                    "CaseId" INTEGER NOT NULL,
                    "ReportId" INTEGER NULL,
                    "Url" TEXT NOT NULL,
                    CONSTRAINT "FK_CasePhotos_Cases_CaseId" FOREIGN KEY ("CaseId") REFERENCES "Cases" ("Id") ON DELETE RESTRICT
                );
                INSERT INTO "ef_temp_CasePhotos" ("Id", "AddedAt", "CaseId", "ReportId", "Url")
                SELECT "Id", "AddedAt", "CaseId", "ReportId", "Url" FROM "CasePhotos";
                DROP TABLE "CasePhotos";
                ALTER TABLE "ef_temp_CasePhotos" RENAME TO "CasePhotos";
                CREATE INDEX "IX_CasePhotos_CaseId" ON "CasePhotos" ("CaseId");
                """);
        }
    }
}
