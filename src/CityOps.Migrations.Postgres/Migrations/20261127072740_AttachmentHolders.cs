using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CityOps.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class AttachmentHolders : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AttachmentHolders",
                columns: table => new
                {
                    Sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    UserId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AttachmentHolders", x => new { x.Sha256, x.UserId });
                    table.ForeignKey(
                        name: "FK_AttachmentHolders_Attachments_Sha256",
                        column: x => x.Sha256,
                        principalTable: "Attachments",
                        principalColumn: "Sha256",
                        onDelete: ReferentialAction.Restrict);
                });

            // Every file's first uploader holds it.
            migrationBuilder.Sql("""
                INSERT INTO "AttachmentHolders" ("Sha256", "UserId", "At")
                SELECT "Sha256", "UploadedById", "UploadedAt" FROM "Attachments" WHERE "UploadedById" IS NOT NULL;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AttachmentHolders");
        }
    }
}
