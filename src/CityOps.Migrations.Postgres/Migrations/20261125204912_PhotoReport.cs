using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CityOps.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class PhotoReport : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_CasePhotos_ReportId",
                table: "CasePhotos",
                column: "ReportId");

            migrationBuilder.AddForeignKey(
                name: "FK_CasePhotos_Reports_ReportId",
                table: "CasePhotos",
                column: "ReportId",
                principalTable: "Reports",
                principalColumn: "Id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_CasePhotos_Reports_ReportId",
                table: "CasePhotos");

            migrationBuilder.DropIndex(
                name: "IX_CasePhotos_ReportId",
                table: "CasePhotos");
        }
    }
}
