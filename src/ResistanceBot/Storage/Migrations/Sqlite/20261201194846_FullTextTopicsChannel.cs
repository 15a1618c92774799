using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ResistanceBot.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class FullTextTopicsChannel : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_edition_parts_EditionId_Language_Index",
                table: "edition_parts");

            migrationBuilder.AddColumn<string>(
                name: "Topics",
                table: "readers",
                type: "TEXT",
                maxLength: 200,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<int>(
                name: "Variant",
                table: "outbox",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "FailingSince",
                table: "feeds",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "FailureNoticeSent",
                table: "feeds",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "ReplyMarkup",
                table: "edition_parts",
                type: "TEXT",
                maxLength: 4000,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Variant",
                table: "edition_parts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "FullText",
                table: "edition_items",
                type: "TEXT",
                maxLength: 200000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Topics",
                table: "edition_items",
                type: "TEXT",
                maxLength: 200,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "FullText",
                table: "articles",
                type: "TEXT",
                maxLength: 200000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FullTextStatus",
                table: "articles",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "Pending");

            migrationBuilder.AddColumn<string>(
                name: "Topics",
                table: "articles",
                type: "TEXT",
                maxLength: 200,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateTable(
                name: "topics",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Key = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    NameEn = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    NameRu = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    NameUk = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_topics", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_edition_parts_EditionId_Language_Variant_Index",
                table: "edition_parts",
                columns: new[] { "EditionId", "Language", "Variant", "Index" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_topics_Key",
                table: "topics",
                column: "Key",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "topics");

            migrationBuilder.DropIndex(
                name: "IX_edition_parts_EditionId_Language_Variant_Index",
                table: "edition_parts");

            migrationBuilder.DropColumn(
                name: "Topics",
                table: "readers");

            migrationBuilder.DropColumn(
                name: "Variant",
                table: "outbox");

            migrationBuilder.DropColumn(
                name: "FailingSince",
                table: "feeds");

            migrationBuilder.DropColumn(
                name: "FailureNoticeSent",
                table: "feeds");

            migrationBuilder.DropColumn(
                name: "ReplyMarkup",
                table: "edition_parts");

            migrationBuilder.DropColumn(
                name: "Variant",
                table: "edition_parts");

            migrationBuilder.DropColumn(
                name: "FullText",
                table: "edition_items");

            migrationBuilder.DropColumn(
                name: "Topics",
                table: "edition_items");

            migrationBuilder.DropColumn(
                name: "FullText",
                table: "articles");

            migrationBuilder.DropColumn(
                name: "FullTextStatus",
                table: "articles");

            migrationBuilder.DropColumn(
                name: "Topics",
                table: "articles");

            migrationBuilder.CreateIndex(
                name: "IX_edition_parts_EditionId_Language_Index",
                table: "edition_parts",
                columns: new[] { "EditionId", "Language", "Index" },
                unique: true);
        }
    }
}
