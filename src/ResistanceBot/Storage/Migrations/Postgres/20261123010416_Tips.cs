using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace ResistanceBot.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Tips : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "tip_drafts",
                columns: table => new
                {
                    DraftKey = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: false),
                    SealedParts = table.Column<byte[]>(type: "bytea", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tip_drafts", x => x.DraftKey);
                });

            migrationBuilder.CreateTable(
                name: "tips",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    SubmittedHour = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ReceiptHash = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: false),
                    SenderTag = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: false),
                    SealedText = table.Column<byte[]>(type: "bytea", nullable: false),
                    SealedRedacted = table.Column<byte[]>(type: "bytea", nullable: true),
                    SealedReplyRoute = table.Column<byte[]>(type: "bytea", nullable: true),
                    ReplyRouteOwner = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: true),
                    ReplyRouteExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    DecidedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tips", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "tip_files",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TipId = table.Column<int>(type: "integer", nullable: false),
                    Position = table.Column<int>(type: "integer", nullable: false),
                    Kind = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    Cleaned = table.Column<bool>(type: "boolean", nullable: false),
                    IsPhoto = table.Column<bool>(type: "boolean", nullable: false),
                    SealedName = table.Column<byte[]>(type: "bytea", nullable: true),
                    SealedContent = table.Column<byte[]>(type: "bytea", nullable: false),
                    Size = table.Column<int>(type: "integer", nullable: false)
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

            migrationBuilder.CreateTable(
                name: "tip_replies",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TipId = table.Column<int>(type: "integer", nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    SealedText = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tip_replies", x => x.Id);
                    table.ForeignKey(
                        name: "FK_tip_replies_tips_TipId",
                        column: x => x.TipId,
                        principalTable: "tips",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_tip_drafts_ExpiresAt",
                table: "tip_drafts",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_tip_files_TipId",
                table: "tip_files",
                column: "TipId");

            migrationBuilder.CreateIndex(
                name: "IX_tip_replies_TipId",
                table: "tip_replies",
                column: "TipId");

            migrationBuilder.CreateIndex(
                name: "IX_tips_ReceiptHash",
                table: "tips",
                column: "ReceiptHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_tips_ReplyRouteOwner",
                table: "tips",
                column: "ReplyRouteOwner");

            migrationBuilder.CreateIndex(
                name: "IX_tips_SenderTag_SubmittedHour",
                table: "tips",
                columns: new[] { "SenderTag", "SubmittedHour" });

            migrationBuilder.CreateIndex(
                name: "IX_tips_State_DecidedAt",
                table: "tips",
                columns: new[] { "State", "DecidedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "tip_drafts");

            migrationBuilder.DropTable(
                name: "tip_files");

            migrationBuilder.DropTable(
                name: "tip_replies");

            migrationBuilder.DropTable(
                name: "tips");
        }
    }
}
