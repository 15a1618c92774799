using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ResistanceBot.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class StaffWordsAndCleanup : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "DeleteAfterMinutes",
                table: "outbox",
                type: "integer",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "staff_profiles",
                columns: table => new
                {
                    UserId = table.Column<long>(type: "bigint", nullable: false),
                    Nickname = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_staff_profiles", x => x.UserId);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "staff_profiles");

            migrationBuilder.DropColumn(
                name: "DeleteAfterMinutes",
                table: "outbox");
        }
    }
}
