using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace ResistanceBot.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Vault : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "tip_parts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TipId = table.Column<int>(type: "integer", nullable: true),
                    DraftKey = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: true),
                    Position = table.Column<int>(type: "integer", nullable: false),
                    Kind = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    Media = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    Cleaned = table.Column<bool>(type: "boolean", nullable: false),
                    SealedContent = table.Column<byte[]>(type: "bytea", nullable: false),
                    SealedName = table.Column<byte[]>(type: "bytea", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tip_parts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_tip_parts_tip_drafts_DraftKey",
                        column: x => x.DraftKey,
                        principalTable: "tip_drafts",
                        principalColumn: "DraftKey",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_tip_parts_tips_TipId",
                        column: x => x.TipId,
                        principalTable: "tips",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_tip_parts_DraftKey",
                table: "tip_parts",
                column: "DraftKey");

            migrationBuilder.CreateIndex(
                name: "IX_tip_parts_TipId",
                table: "tip_parts",
                column: "TipId");

            // Drafts were sealed as a whole, which the vault no longer allows: they are minutes old, and go. Then every tip's
            // text and files become parts, still under the DataKey until `vault migrate` seals them to the vault.
            migrationBuilder.Sql("DELETE FROM \"tip_drafts\";");
            migrationBuilder.Sql("INSERT INTO \"tip_parts\" (\"TipId\", \"Position\", \"Kind\", \"Media\", \"Cleaned\", \"SealedContent\") SELECT \"Id\", 0, 'Text', 'Other', TRUE, \"SealedText\" FROM \"tips\" WHERE length(\"SealedText\") > 33;");
            migrationBuilder.Sql("INSERT INTO \"tip_parts\" (\"TipId\", \"Position\", \"Kind\", \"Media\", \"Cleaned\", \"SealedContent\", \"SealedName\") SELECT \"TipId\", \"Position\" + 1, CASE WHEN \"IsPhoto\" THEN 'Photo' ELSE 'Document' END, \"Kind\", \"Cleaned\", \"SealedContent\", \"SealedName\" FROM \"tip_files\";");

            migrationBuilder.DropTable(
                name: "tip_files");

            migrationBuilder.DropColumn(
                name: "SealedText",
                table: "tips");

            migrationBuilder.RenameColumn(
                name: "SealedParts",
                table: "tip_drafts",
                newName: "SealedState");

            migrationBuilder.AddColumn<byte[]>(
                name: "ReplyKey",
                table: "tips",
                type: "bytea",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "ReportPending",
                table: "tips",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateTime>(
                name: "DeleteAfter",
                table: "tip_views",
                type: "timestamp with time zone",
                nullable: false,
                defaultValue: new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Utc));

            migrationBuilder.AddColumn<bool>(
                name: "ToVault",
                table: "tip_replies",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "EditMessageId",
                table: "outbox",
                type: "integer",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "vault_wraps",
                columns: table => new
                {
                    UserId = table.Column<long>(type: "bigint", nullable: false),
                    Wrap = table.Column<byte[]>(type: "bytea", maxLength: 128, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_vault_wraps", x => x.UserId);
                });

            migrationBuilder.CreateIndex(
                name: "IX_tip_views_DeleteAfter",
                table: "tip_views",
                column: "DeleteAfter");

            // Copies already in moderators' chats are deleted at the next look of the copy janitor.
            migrationBuilder.Sql("UPDATE \"tip_views\" SET \"DeleteAfter\" = now();");
            migrationBuilder.Sql("ALTER TABLE \"tip_parts\" ALTER COLUMN \"DraftKey\" SET STATISTICS 0;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "tip_parts");

            migrationBuilder.DropTable(
                name: "vault_wraps");

            migrationBuilder.DropIndex(
                name: "IX_tip_views_DeleteAfter",
                table: "tip_views");

            migrationBuilder.DropColumn(
                name: "ReplyKey",
                table: "tips");

            migrationBuilder.DropColumn(
                name: "ReportPending",
                table: "tips");

            migrationBuilder.DropColumn(
                name: "DeleteAfter",
                table: "tip_views");

            migrationBuilder.DropColumn(
                name: "ToVault",
                table: "tip_replies");

            migrationBuilder.DropColumn(
                name: "EditMessageId",
                table: "outbox");

            migrationBuilder.RenameColumn(
                name: "SealedState",
                table: "tip_drafts",
                newName: "SealedParts");

            migrationBuilder.AddColumn<byte[]>(
                name: "SealedText",
                table: "tips",
                type: "bytea",
                nullable: false,
                defaultValue: new byte[0]);

            migrationBuilder.CreateTable(
                name: "tip_files",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Cleaned = table.Column<bool>(type: "boolean", nullable: false),
                    IsPhoto = table.Column<bool>(type: "boolean", nullable: false),
                    Kind = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    Position = table.Column<int>(type: "integer", nullable: false),
                    SealedContent = table.Column<byte[]>(type: "bytea", nullable: false),
                    SealedName = table.Column<byte[]>(type: "bytea", nullable: true),
                    TipId = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tip_files", x => x.Id);
                    table.ForeignKey(
                        name: "FK_tip_files_tips_TipId",
                        column: x => x.TipId,
                        principalTable: "tips",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_tip_files_TipId",
                table: "tip_files",
                column: "TipId");
        }
    }
}
