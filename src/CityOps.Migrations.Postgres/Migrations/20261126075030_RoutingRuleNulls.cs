using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CityOps.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class RoutingRuleNulls : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Rules entered twice for one (area, category) while NULLs slipped past the old index: keep the first.
            migrationBuilder.Sql("""DELETE FROM "RoutingRules" WHERE "Id" NOT IN (SELECT MIN("Id") FROM "RoutingRules" GROUP BY "AreaId", "CategoryId");""");

            migrationBuilder.DropIndex(
                name: "IX_RoutingRules_CategoryId",
                table: "RoutingRules");

            migrationBuilder.CreateIndex(
                name: "UX_RoutingRules_AnyCategory",
                table: "RoutingRules",
                column: "AreaId",
                unique: true,
                filter: "\"CategoryId\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "UX_RoutingRules_CityWide",
                table: "RoutingRules",
                column: "CategoryId",
                unique: true,
                filter: "\"AreaId\" IS NULL");

            // At most one rule for the whole city and any category: a unique index on a constant over those rows.
            migrationBuilder.Sql("""CREATE UNIQUE INDEX "UX_RoutingRules_CityAnyCategory" ON "RoutingRules" ((0)) WHERE "AreaId" IS NULL AND "CategoryId" IS NULL;""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP INDEX "UX_RoutingRules_CityAnyCategory";""");

            migrationBuilder.DropIndex(
                name: "UX_RoutingRules_AnyCategory",
                table: "RoutingRules");

            migrationBuilder.DropIndex(
                name: "UX_RoutingRules_CityWide",
                table: "RoutingRules");

            migrationBuilder.CreateIndex(
                name: "IX_RoutingRules_CategoryId",
                table: "RoutingRules",
                column: "CategoryId");
        }
    }
}
