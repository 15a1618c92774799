using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace ResistanceBot.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Moderation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ReplyMarkup",
                table: "outbox",
                type: "character varying(4000)",
                maxLength: 4000,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "tip_bans",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    SenderTag = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: false),
                    TipId = table.Column<int>(type: "integer", nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tip_bans", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "tip_notices",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TipId = table.Column<int>(type: "integer", nullable: false),
                    OutboxId = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tip_notices", x => x.Id);
                    table.ForeignKey(
                        name: "FK_tip_notices_outbox_OutboxId",
                        column: x => x.OutboxId,
                        principalTable: "outbox",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "tip_views",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TipId = table.Column<int>(type: "integer", nullable: false),
                    ChatId = table.Column<long>(type: "bigint", nullable: false),
                    MessageId = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tip_views", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_tip_bans_SenderTag",
                table: "tip_bans",
                column: "SenderTag");

            migrationBuilder.CreateIndex(
                name: "IX_tip_notices_OutboxId",
                table: "tip_notices",
                column: "OutboxId");

            migrationBuilder.CreateIndex(
                name: "IX_tip_notices_TipId",
                table: "tip_notices",
                column: "TipId");

            migrationBuilder.CreateIndex(
                name: "IX_tip_views_TipId",
                table: "tip_views",
                column: "TipId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "tip_bans");

            migrationBuilder.DropTable(
                name: "tip_notices");

            migrationBuilder.DropTable(
                name: "tip_views");

            migrationBuilder.DropColumn(
                name: "ReplyMarkup",
                table: "outbox");
        }
    }
}
