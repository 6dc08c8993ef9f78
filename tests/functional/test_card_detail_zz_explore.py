import os
from .conftest import settle, screen_text

CARDS = os.environ.get("EXPLORE_CARDS", "CARD-HEALTHY,CARD-BLOCKED,CARD-EXPIRED,FLEET-CHILD-1,CARD-NEW-0001,CARD-UNLINKED,CARD-TERMINATED,CARD-KIOSK,CARD-UNSYNCED,FLEET-PARENT").split(",")
W, H = (int(x) for x in os.environ.get("EXPLORE_SIZE", "120x40").split("x"))

async def test_explore(sim_app):
    app = sim_app()
    async with app.run_test(size=(W, H)) as pilot:
        await settle(pilot)
        app.open_cards()
        await settle(pilot)
        app.save_screenshot(f"/tmp/cardsdev/real-cards-{W}.svg")
        for c in CARDS:
            app.open_card(c)
            await settle(pilot)
            app.save_screenshot(f"/tmp/cardsdev/real-{c}-{W}.svg")
            open(f"/tmp/cardsdev/real-{c}-{W}.txt", "w").write(screen_text(app))
            app.pop_screen()
            await pilot.pause()
