using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ResistanceBot.Storage.Migrations.Sqlite
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
                    DraftKey = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    SealedParts = table.Column<byte[]>(type: "BLOB", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tip_drafts", x => x.DraftKey);
                });

            migrationBuilder.CreateTable(
                name: "tips",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    State = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    SubmittedHour = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ReceiptHash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    SenderTag = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    SealedText = table.Column<byte[]>(type: "BLOB", nullable: false),
                    SealedRedacted = table.Column<byte[]>(type: "BLOB", nullable: true),
                    SealedReplyRoute = table.Column<byte[]>(type: "BLOB", nullable: true),
                    ReplyRouteOwner = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: true),
                    ReplyRouteExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    DecidedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tips", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "tip_files",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TipId = table.Column<int>(type: "INTEGER", nullable: false),
                    Position = table.Column<int>(type: "INTEGER", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Cleaned = table.Column<bool>(type: "INTEGER", nullable: false),
                    IsPhoto = table.Column<bool>(type: "INTEGER", nullable: false),
                    SealedName = table.Column<byte[]>(type: "BLOB", nullable: true),
                    SealedContent = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Size = table.Column<int>(type: "INTEGER", nullable: false)
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
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TipId = table.Column<int>(type: "INTEGER", nullable: false),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false),
                    SealedText = table.Column<byte[]>(type: "BLOB", nullable: false)
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
