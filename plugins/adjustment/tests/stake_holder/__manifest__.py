{"name": "stake_holder", "version": "0.1.0", "summary": "Offers a platform company's holding to new partners (tests)."}
